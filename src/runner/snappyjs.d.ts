// snappyjs ships no types: the one function the Prometheus output uses.
declare module 'snappyjs' {
  export function compress<T extends Uint8Array | ArrayBuffer>(input: T): T;
}
