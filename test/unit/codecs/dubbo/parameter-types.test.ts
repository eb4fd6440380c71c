import assert from 'node:assert/strict';
import { test } from 'node:test';
import { countParameterTypes } from '../../../../src/codecs/dubbo/parameter-types.js';
import { CodecError, ErrorCodes } from '../../../../src/errors.js';

test('counts the types of JVM parameter descriptors', () => {
  const cases: Array<[string, number]> = [
    ['', 0],
    ['I', 1],
    ['ZBCDFIJS', 8],
    ['Ljava/lang/String;', 1],
    ['Ljava/lang/String;[Ljava/lang/String;[Ljava/lang/Object;', 3],
    ['[[I[[[Lcom/example/User;J', 3],
  ];
  for (const [descriptor, count] of cases) assert.equal(countParameterTypes(descriptor), count, descriptor);
});

test('rejects what is not a descriptor', () => {
  for (const descriptor of ['L', 'Ljava', 'L;', '[', 'Q', 'java.lang.String', 'I[']) {
    assert.throws(
      () => countParameterTypes(descriptor),
      (error: unknown) => CodecError.isCodecError(error) && error.code === ErrorCodes.CODEC_MALFORMED,
      descriptor,
    );
  }
});
