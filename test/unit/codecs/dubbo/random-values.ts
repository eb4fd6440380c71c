/**
 * Test support: Hessian values of arbitrary shape (every type hessian.js writes, nested), for property
 * tests of the skipper and structure-aware fuzzing of the codec.
 */
import fc from 'fast-check';
import java from 'js-to-java';

/** A value of arbitrary shape, for hessian.js to write. */
export const { value: valueArb } = fc.letrec<{ value: unknown }>(tie => ({
  value: fc.oneof(
    { depthSize: 'small', withCrossShrink: true },
    fc.string({ maxLength: 40 }),
    fc.string({ unit: 'binary', maxLength: 40 }),
    fc.integer(),
    fc.integer({ min: -(2 ** 50), max: 2 ** 50 }).map(n => java.long(n)),
    fc.bigInt({ min: -(2n ** 63n), max: 2n ** 63n - 1n }).map(n => java.long(n.toString())),
    fc.double({ noNaN: true, noDefaultInfinity: true }),
    fc.boolean(),
    fc.constant(null),
    fc.integer({ min: -1e12, max: 1e12 }).map(ms => new Date(ms)),
    fc.uint8Array({ maxLength: 40 }).map(bytes => Buffer.from(bytes)),
    fc.array(tie('value'), { maxLength: 10 }),
    fc.array(tie('value'), { maxLength: 4 }).map(items => ({ $class: 'java.util.LinkedList', $: items })),
    fc.array(fc.integer(), { maxLength: 10 }).map(items => java.array('int', items)),
    fc
      .dictionary(fc.string({ maxLength: 8 }), tie('value'), { maxKeys: 4 })
      .map(entries => ({ $class: 'java.util.HashMap', $: entries })),
    fc
      .tuple(fc.integer({ min: 0, max: 3 }), tie('value'), tie('value'))
      .map(([kind, a, b]) => ({ $class: `com.example.Shape${kind}`, $: { a, b } })),
  ),
}));
