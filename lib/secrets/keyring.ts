// The master keys (key-encryption keys) that protect credentials. The first
// key is active: it wraps every new data key; all of them can unwrap. The set
// is swapped in place after a rotation, so a running server needs no restart.

const IV_BYTES = 12;
const KEY_BYTES = 32;

/** Where a keyring's keys come from, named in errors (`ETL_SECRET_KEY`, a key file). */
export type KeySource =
  | { type: "env" }
  | { type: "file"; path: string }
  | { type: "memory" };

/** Thrown when a secret was sealed with a key this keyring does not hold. */
export class MissingKeyError extends Error {
  constructor(readonly keyId: string, what: string, source: KeySource) {
    super(
      `Cannot decrypt ${what}: it was sealed with key ${keyId}, which is not in ${
        describeKeySource(source)
      }`,
    );
    this.name = "MissingKeyError";
  }
}

interface MasterKey {
  id: string;
  key: CryptoKey;
}

/** One or more AES-256 master keys; the first is active. */
export class Keyring {
  #keys: MasterKey[];
  /** Where the keys come from, for messages. */
  readonly source: KeySource;

  private constructor(keys: MasterKey[], source: KeySource) {
    this.#keys = keys;
    this.source = source;
  }

  /** Builds a keyring from base64 keys, the active one first. */
  static async fromKeys(
    base64Keys: string[],
    source: KeySource = { type: "memory" },
  ): Promise<Keyring> {
    return new Keyring(await importKeys(base64Keys), source);
  }

  /** The id of the key that wraps new data keys. */
  get activeKeyId(): string {
    return this.#keys[0].id;
  }

  /** Ids of all keys, the active one first. */
  get keyIds(): string[] {
    return this.#keys.map((k) => k.id);
  }

  /** Whether the key with this id is on the keyring. */
  has(keyId: string): boolean {
    return this.#keys.some((k) => k.id === keyId);
  }

  /**
   * Makes `base64Key` the active key, keeping the others (a key already on
   * the ring moves to the front). Takes effect for every holder of this
   * keyring at once; returns the new key's id.
   */
  async activate(base64Key: string): Promise<string> {
    const [added] = await importKeys([base64Key]);
    this.#keys = [added, ...this.#keys.filter((k) => k.id !== added.id)];
    return added.id;
  }

  /** Replaces every key (e.g. after the key file changed); the first is active. */
  async replace(base64Keys: string[]): Promise<void> {
    this.#keys = await importKeys(base64Keys);
  }

  /** Encrypts `bytes` with the active key: base64 of iv ‖ ciphertext ‖ tag. */
  async seal(bytes: Uint8Array<ArrayBuffer>): Promise<
    { keyId: string; sealed: string }
  > {
    const active = this.#keys[0];
    return { keyId: active.id, sealed: await sealWith(active.key, bytes) };
  }

  /**
   * Decrypts what {@linkcode seal} made with key `keyId`; `what` names the
   * secret in errors, which never contain plaintext.
   */
  async open(
    keyId: string,
    sealed: string,
    what: string,
  ): Promise<Uint8Array<ArrayBuffer>> {
    const master = this.#keys.find((k) => k.id === keyId);
    if (!master) throw new MissingKeyError(keyId, what, this.source);
    return await openWith(master.key, sealed, `${what} with key ${keyId}`);
  }
}

/** "ETL_SECRET_KEY", `key file "…"` or "the keyring": where keys must be added. */
export function describeKeySource(source: KeySource): string {
  switch (source.type) {
    case "env":
      return "ETL_SECRET_KEY";
    case "file":
      return `key file ${JSON.stringify(source.path)}`;
    default:
      return "the keyring";
  }
}

/** Encrypts with AES-256-GCM under a fresh random IV: base64 of iv ‖ ciphertext ‖ tag. */
export async function sealWith(
  key: CryptoKey,
  bytes: Uint8Array<ArrayBuffer>,
): Promise<string> {
  const iv = crypto.getRandomValues(new Uint8Array(IV_BYTES));
  const sealed = new Uint8Array(
    await crypto.subtle.encrypt({ name: "AES-GCM", iv }, key, bytes),
  );
  const joined = new Uint8Array(IV_BYTES + sealed.length);
  joined.set(iv);
  joined.set(sealed, IV_BYTES);
  return toBase64(joined);
}

/** Decrypts what {@linkcode sealWith} made; `what` names it in errors. */
export async function openWith(
  key: CryptoKey,
  sealed: string,
  what: string,
): Promise<Uint8Array<ArrayBuffer>> {
  let bytes: Uint8Array<ArrayBuffer>;
  try {
    bytes = fromBase64(sealed);
  } catch {
    throw new Error(`Cannot decrypt ${what}: it is not base64`);
  }
  // iv + the 16-byte GCM tag at least.
  if (bytes.length < IV_BYTES + 16) {
    throw new Error(`Cannot decrypt ${what}: it is too short`);
  }
  try {
    return new Uint8Array(
      await crypto.subtle.decrypt(
        { name: "AES-GCM", iv: bytes.subarray(0, IV_BYTES) },
        key,
        bytes.subarray(IV_BYTES),
      ),
    );
  } catch {
    throw new Error(
      `Cannot decrypt ${what}: the ciphertext was altered or does not match the key`,
    );
  }
}

/** Imports 32 raw bytes as an AES-GCM key usable for encrypt and decrypt. */
export function importAesKey(raw: Uint8Array<ArrayBuffer>): Promise<CryptoKey> {
  return crypto.subtle.importKey("raw", raw, { name: "AES-GCM" }, false, [
    "encrypt",
    "decrypt",
  ]);
}

/** A new random base64 AES-256 key, like `openssl rand -base64 32`. */
export function generateKey(): string {
  return toBase64(crypto.getRandomValues(new Uint8Array(KEY_BYTES)));
}

/** The id of a base64 key: first 16 hex characters of its SHA-256. */
export async function keyIdOf(base64Key: string): Promise<string> {
  return await rawKeyId(decodeKey(base64Key));
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
  if (raw.length !== KEY_BYTES) {
    throw new Error(
      `Cannot use secret key: it decodes to ${raw.length} bytes, expected 32, make one with \`openssl rand -base64 32\``,
    );
  }
  return raw;
}

/** Base64 of `bytes`. */
export function toBase64(bytes: Uint8Array): string {
  let binary = "";
  for (let i = 0; i < bytes.length; i++) {
    binary += String.fromCharCode(bytes[i]);
  }
  return btoa(binary);
}

/** The bytes of base64 `text`; throws on invalid base64. */
export function fromBase64(text: string): Uint8Array<ArrayBuffer> {
  const binary = atob(text);
  const bytes = new Uint8Array(binary.length);
  for (let i = 0; i < binary.length; i++) bytes[i] = binary.charCodeAt(i);
  return bytes;
}

async function importKeys(base64Keys: string[]): Promise<MasterKey[]> {
  if (base64Keys.length === 0) {
    throw new Error(
      "Cannot use secret keys: none given, make one with `openssl rand -base64 32`",
    );
  }
  const keys: MasterKey[] = [];
  for (const base64Key of base64Keys) {
    const raw = decodeKey(base64Key);
    const id = await rawKeyId(raw);
    // A key listed twice is kept once, at its first place.
    if (keys.some((k) => k.id === id)) continue;
    keys.push({ id, key: await importAesKey(raw) });
  }
  return keys;
}

async function rawKeyId(raw: Uint8Array<ArrayBuffer>): Promise<string> {
  const digest = new Uint8Array(await crypto.subtle.digest("SHA-256", raw));
  return Array.from(
    digest.subarray(0, 8),
    (b) => b.toString(16).padStart(2, "0"),
  ).join("");
}
