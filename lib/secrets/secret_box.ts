// Envelope encryption of connector credentials (AES-256-GCM, Web Crypto):
// each secret gets its own random data key, and only that data key is
// encrypted ("wrapped") by the keyring's active master key, so rotating the
// master key re-wraps 32-byte keys and never touches the secrets themselves.

import {
  importAesKey,
  Keyring,
  type KeySource,
  openWith,
  sealWith,
} from "./keyring.ts";

export { decodeKey, generateKey, toBase64 } from "./keyring.ts";

const DATA_KEY_BYTES = 32;

/** An encrypted secret as stored in the `credential` table. */
export interface SealedSecret {
  /** Id of the master key: first 16 hex characters of its SHA-256. */
  keyId: string;
  /**
   * The data key wrapped by that master key (base64 of iv ‖ key ‖ tag); null
   * for a legacy secret sealed directly by the master key.
   */
  wrappedKey: string | null;
  /** Base64 of iv ‖ ciphertext ‖ tag, under the data key (or the master key when legacy). */
  ciphertext: string;
}

/** Seals and opens secrets with per-secret data keys wrapped by a {@linkcode Keyring}. */
export class SecretBox {
  /** The master keys; swap them in place with `keyring.activate()` / `replace()`. */
  readonly keyring: Keyring;

  constructor(keyring: Keyring) {
    this.keyring = keyring;
  }

  /** A box over a keyring of one base64 key (tests, tools). */
  static async fromKey(base64Key: string): Promise<SecretBox> {
    return new SecretBox(await Keyring.fromKeys([base64Key]));
  }

  /** A box over base64 keys, the active one first. */
  static async fromKeys(
    base64Keys: string[],
    source?: KeySource,
  ): Promise<SecretBox> {
    return new SecretBox(await Keyring.fromKeys(base64Keys, source));
  }

  /** The id of the master key that wraps new data keys. */
  get keyId(): string {
    return this.keyring.activeKeyId;
  }

  /** Encrypts `plaintext` under a fresh data key wrapped by the active master key. */
  async encrypt(plaintext: string): Promise<SealedSecret> {
    const dataKey = crypto.getRandomValues(new Uint8Array(DATA_KEY_BYTES));
    try {
      const ciphertext = await sealWith(
        await importAesKey(dataKey),
        new TextEncoder().encode(plaintext),
      );
      const wrapped = await this.keyring.seal(dataKey);
      return { keyId: wrapped.keyId, wrappedKey: wrapped.sealed, ciphertext };
    } finally {
      dataKey.fill(0);
    }
  }

  /**
   * Decrypts a sealed secret (envelope or legacy). `what` names it in
   * errors, e.g. `credential of connector "shop"`; errors never show plaintext.
   */
  async decrypt(secret: SealedSecret, what = "credential"): Promise<string> {
    if (secret.wrappedKey === null) {
      const plain = await this.keyring.open(
        secret.keyId,
        secret.ciphertext,
        what,
      );
      return new TextDecoder().decode(plain);
    }
    const dataKey = await this.#unwrap(secret, what);
    try {
      const plain = await openWith(
        await importAesKey(dataKey),
        secret.ciphertext,
        what,
      );
      return new TextDecoder().decode(plain);
    } finally {
      dataKey.fill(0);
    }
  }

  /**
   * The same secret under the active master key: its data key re-wrapped
   * (the ciphertext stays), or, for a legacy secret, sealed anew in an
   * envelope.
   */
  async rewrap(
    secret: SealedSecret,
    what = "credential",
  ): Promise<SealedSecret> {
    if (secret.wrappedKey === null) {
      return await this.encrypt(await this.decrypt(secret, what));
    }
    const dataKey = await this.#unwrap(secret, what);
    try {
      const wrapped = await this.keyring.seal(dataKey);
      return {
        keyId: wrapped.keyId,
        wrappedKey: wrapped.sealed,
        ciphertext: secret.ciphertext,
      };
    } finally {
      dataKey.fill(0);
    }
  }

  async #unwrap(
    secret: SealedSecret,
    what: string,
  ): Promise<Uint8Array<ArrayBuffer>> {
    const dataKey = await this.keyring.open(
      secret.keyId,
      secret.wrappedKey!,
      what,
    );
    if (dataKey.length !== DATA_KEY_BYTES) {
      throw new Error(`Cannot decrypt ${what}: its data key is malformed`);
    }
    return dataKey;
  }
}
