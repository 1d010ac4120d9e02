/**
 * Where Lambda functions stage tensors too large for the invocation payload. The S3 client is the AWS SDK v3
 * that the nodejs20.x Lambda runtime already provides (imported lazily: never loaded when nothing is staged).
 */
export interface ObjectStore {
  put(bucket: string, key: string, bytes: Uint8Array): Promise<void>;
  get(bucket: string, key: string): Promise<Uint8Array>;
}

export function s3Store(): ObjectStore {
  let client: Promise<{ send(cmd: unknown): Promise<any>; mod: any }> | undefined; // eslint-disable-line @typescript-eslint/no-explicit-any
  const sdk = '@aws-sdk/client-s3'; // a variable: keeps bundlers and the type checker from resolving it here
  const get = () => (client ??= import(sdk).then((mod) => {
    const c = new mod.S3Client({});
    return { send: (cmd: unknown) => c.send(cmd), mod };
  }));
  return {
    async put(bucket, key, bytes) {
      const { send, mod } = await get();
      await send(new mod.PutObjectCommand({ Bucket: bucket, Key: key, Body: bytes }));
    },
    async get(bucket, key) {
      const { send, mod } = await get();
      const res = await send(new mod.GetObjectCommand({ Bucket: bucket, Key: key }));
      return await res.Body.transformToByteArray();
    },
  };
}

/** In-process store (tests, local runs). */
export function memoryStore(): ObjectStore & { objects: Map<string, Uint8Array> } {
  const objects = new Map<string, Uint8Array>();
  return {
    objects,
    async put(bucket, key, bytes) { objects.set(`${bucket}/${key}`, new Uint8Array(bytes)); },
    async get(bucket, key) {
      const b = objects.get(`${bucket}/${key}`);
      if (!b) throw new Error(`no object s3://${bucket}/${key}`);
      return b;
    },
  };
}
