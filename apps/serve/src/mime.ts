/**
 * Content types by file extension (the `mime-types` database), and which of them are worth compressing.
 *
 * @module
 */
import { extname } from 'node:path';
import { contentType, lookup } from 'mime-types';

/** The `Content-Type` for a file name (with a charset for text), `application/octet-stream` when unknown. */
export function contentTypeOf(name: string): string {
  const type = lookup(extname(name));
  return (type === false ? undefined : contentType(type) || undefined) ?? 'application/octet-stream';
}

const COMPRESSIBLE = /^(text\/|application\/(javascript|json|xml|manifest\+json|wasm)|image\/svg\+xml)/;

/** Whether a body of this type shrinks under gzip (text does; images and archives are compressed already). */
export function isCompressible(type: string): boolean {
  return COMPRESSIBLE.test(type);
}
