declare const mdBrand: unique symbol;
declare const meBrand: unique symbol;

/** `struct lnet_handle_md`: an opaque cookie; stale after unlink. */
export type MdHandle = { readonly cookie: number; readonly [mdBrand]: true };
/** An ME, identified the same way. */
export type MeHandle = { readonly cookie: number; readonly [meBrand]: true };

export const mdHandle = (cookie: number): MdHandle => ({ cookie }) as MdHandle;
export const meHandle = (cookie: number): MeHandle => ({ cookie }) as MeHandle;
export const LNET_INVALID_MD_HANDLE = mdHandle(-1);
