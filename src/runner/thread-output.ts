// A scenario thread's console output, relayed in order with its protocol messages. A Worker's own
// stdout/stderr reach the main thread asynchronously, on a channel of their own: the last lines
// could arrive after the summary, or never when the process ends at once. Sent as messages on the
// thread's port instead, each line is written by the main thread where it belongs in the stream.

import type { ThreadOutput } from '../protocol';

/** Replaces this thread's process.stdout/stderr writes with `post`ed output messages. */
export function relayOutput(post: (message: ThreadOutput) => void): void {
  for (const stream of ['stdout', 'stderr'] as const) {
    const target = process[stream];
    target.write = ((chunk: string | Uint8Array, encoding?: BufferEncoding | ((err?: Error) => void), cb?: (err?: Error) => void) => {
      const text = typeof chunk === 'string' ? chunk : Buffer.from(chunk).toString(typeof encoding === 'string' ? encoding : 'utf8');
      post({ type: 'output', stream, text });
      const done = typeof encoding === 'function' ? encoding : cb;
      if (done) queueMicrotask(() => done());
      return true;
    }) as typeof target.write;
  }
}

/** Writes a relayed output message to this process's stream (the main thread's side). */
export function writeOutput(m: ThreadOutput): void {
  process[m.stream].write(m.text);
}
