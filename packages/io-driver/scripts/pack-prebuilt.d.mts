/**
 * Copies `@zokio/io-driver` into `work/io-driver`, pins its `workspace:` dependency ranges to `^<sibling version>`
 * (as `pnpm pack` does), prebuilds the addon there (`prebuildify --napi --strip`) and packs it (`npm pack`) into
 * `into`: a release tarball, with the prebuild inside. See `pack-prebuilt.mjs`.
 *
 * @param options.into the folder the tarball goes to; it must exist.
 * @param options.work a folder for the copy (`work/io-driver`, which must not exist yet), left for the caller.
 * @returns the tarball's path.
 */
export declare function packPrebuilt(options: { into: string; work: string }): string;
