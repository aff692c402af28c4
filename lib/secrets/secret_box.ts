// Encrypts connector credentials at rest (AES-256-GCM, Web Crypto). The key id
// stored beside each ciphertext lets key rotation tell old rows from new.

const IV_BYTES = 12;

/** An encrypted secret as stored in the `credential` table. */
export interface SealedSecret {
  /** First 16 hex characters of the SHA-256 of the raw key. */
  keyId: string;
  /** Base64 of iv ‖ ciphertext (the GCM tag included). */
  ciphertext: string;
}

/** Encrypts and decrypts secrets with one AES-256-GCM key. */
export class SecretBox {
  #key: CryptoKey;
  /** Identifies the key without revealing it. */
  readonly keyId: string;

  private constructor(key: CryptoKey, keyId: string) {
    this.#key = key;
    this.keyId = keyId;
  }

  /** Builds a box from a base64-encoded 32-byte key. */
  static async fromKey(base64Key: string): Promise<SecretBox> {
    const raw = decodeKey(base64Key);
    const key = await crypto.subtle.importKey(
      "raw",
      raw,
      { name: "AES-GCM" },
      false,
      ["encrypt", "decrypt"],
    );
    return new SecretBox(key, await keyIdOf(raw));
  }

  /** Encrypts `plaintext` with a fresh random IV. */
  async encrypt(plaintext: string): Promise<SealedSecret> {
    const iv = crypto.getRandomValues(new Uint8Array(IV_BYTES));
    const sealed = new Uint8Array(
      await crypto.subtle.encrypt(
        { name: "AES-GCM", iv },
        this.#key,
        new TextEncoder().encode(plaintext),
      ),
    );
    const joined = new Uint8Array(IV_BYTES + sealed.length);
    joined.set(iv);
    joined.set(sealed, IV_BYTES);
    return { keyId: this.keyId, ciphertext: toBase64(joined) };
  }

  /** Decrypts a secret sealed by this key; the error never shows plaintext. */
  async decrypt(secret: SealedSecret): Promise<string> {
    if (secret.keyId !== this.keyId) {
      throw new Error(
        `Cannot decrypt credential: it was encrypted with key ${secret.keyId}, but the current key is ${this.keyId}`,
      );
    }
    let bytes: Uint8Array<ArrayBuffer>;
    try {
      bytes = fromBase64(secret.ciphertext);
    } catch {
      throw new Error("Cannot decrypt credential: ciphertext is not base64");
    }
    if (bytes.length <= IV_BYTES) {
      throw new Error("Cannot decrypt credential: ciphertext is too short");
    }
    try {
      const plain = await crypto.subtle.decrypt(
        { name: "AES-GCM", iv: bytes.subarray(0, IV_BYTES) },
        this.#key,
        bytes.subarray(IV_BYTES),
      );
      return new TextDecoder().decode(plain);
    } catch {
      throw new Error(
        `Cannot decrypt credential: ciphertext was altered or does not match key ${this.keyId}`,
      );
    }
  }
}

/** Decodes a base64 key and checks it is 32 bytes. */
export function decodeKey(base64Key: string): Uint8Array<ArrayBuffer> {
  let raw: Uint8Array<ArrayBuffer>;
  try {
    raw = fromBase64(base64Key.trim());
  } catch {
    throw new Error(
      "Cannot use secret key: it is not valid base64, make one with `openssl rand -base64 32`",
    );
  }
  if (raw.length !== 32) {
    throw new Error(
      `Cannot use secret key: it decodes to ${raw.length} bytes, expected 32, make one with \`openssl rand -base64 32\``,
    );
  }
  return raw;
}

async function keyIdOf(raw: Uint8Array<ArrayBuffer>): Promise<string> {
  const digest = new Uint8Array(await crypto.subtle.digest("SHA-256", raw));
  return Array.from(
    digest.subarray(0, 8),
    (b) => b.toString(16).padStart(2, "0"),
  )
    .join("");
}

/** Base64 of `bytes`. */
export function toBase64(bytes: Uint8Array): string {
  let binary = "";
  for (let i = 0; i < bytes.length; i++) {
    binary += String.fromCharCode(bytes[i]);
  }
  return btoa(binary);
}

function fromBase64(text: string): Uint8Array<ArrayBuffer> {
  const binary = atob(text);
  const bytes = new Uint8Array(binary.length);
  for (let i = 0; i < binary.length; i++) bytes[i] = binary.charCodeAt(i);
  return bytes;
}
