/**
 * A SHA-256 fed many small strings, for content versions: each `update` call into the hash costs
 * about as much as hashing a few hundred bytes, so pieces are joined into 64 KiB chunks first. The
 * digest is that of all pieces in order, exactly as if each had been fed on its own.
 */
import { createHash, type Hash } from 'node:crypto';

const CHUNK = 1 << 16;

export class ChunkedHash {
  private readonly hash: Hash = createHash('sha256');
  private chunk = '';

  add(piece: string): this {
    this.chunk += piece;
    if (this.chunk.length >= CHUNK) {
      this.hash.update(this.chunk);
      this.chunk = '';
    }
    return this;
  }

  /** The first `length` hex digits of the digest; the hash cannot be used afterwards. */
  hex(length: number): string {
    return this.hash.update(this.chunk).digest('hex').slice(0, length);
  }
}
