// Where is a worker thread stuck? Its supervisor (the main thread of the same process) asks the
// inspector: the NodeWorker domain reaches the thread's own inspector, Debugger.pause stops it even
// in a synchronous loop, a stack is taken in its top frame (mapped to the .load.ts's lines by the
// thread's source-map support, as iteration errors are), and it resumes. Works on Node 20 and 24.

import { Session } from 'node:inspector';
import type { Worker } from 'node:worker_threads';
import type { SourceLocation } from '../protocol';
import { cleanStack, locateInStack } from './stack';

/** No heartbeat for this long (threads beat every 250 ms): the thread's event loop is blocked. */
export const STALL_MS = 1500;
/** How often a runner or worker thread posts its heartbeat. */
export const HEARTBEAT_EVERY_MS = 250;

/** A heap limit for messages: '64 MB', '4 GB'. */
export function formatBytes(bytes: number): string {
  const mb = bytes / 1024 / 1024;
  return mb >= 1024 ? `${+(mb / 1024).toFixed(1)} GB` : `${Math.round(mb)} MB`;
}

export interface StackSample {
  stack?: string;
  /** The first frame in the scenario file. */
  location?: SourceLocation;
}

const EXPRESSION =
  '(() => { const l = Error.stackTraceLimit; Error.stackTraceLimit = 30; const s = new Error("stack sample").stack; Error.stackTraceLimit = l; return s; })()';

/**
 * Samples `worker`'s stack. `file`: the scenario file to locate; `ownFile`: the thread's bundle,
 * whose frames are left out. Resolves undefined when no sample came within `timeoutMs`.
 */
export function sampleThreadStack(worker: Worker, o: { file?: string; ownFile: string; timeoutMs?: number }): Promise<StackSample | undefined> {
  const threadId = String(worker.threadId);
  return new Promise((resolve) => {
    const session = new Session();
    let sessionId: string | undefined;
    let id = 0;
    let evalId = -1;
    let settled = false;
    const toWorker = (method: string, params: object = {}): number => {
      id++;
      if (sessionId) session.post('NodeWorker.sendMessageToWorker', { sessionId, message: JSON.stringify({ id, method, params }) });
      return id;
    };
    const settle = (raw?: string): void => {
      if (settled) return;
      settled = true;
      clearTimeout(timer);
      try {
        if (sessionId) {
          // Resume before detaching: a thread left paused could not be terminated.
          toWorker('Debugger.resume');
          toWorker('Debugger.disable');
          session.post('NodeWorker.detach', { sessionId });
        }
        session.disconnect();
      } catch {
        // The thread is gone: nothing to resume.
      }
      if (!raw) return resolve(undefined);
      // Drop the evaluated expression's own frame; keep the scenario's.
      const stack = cleanStack(raw.split('\n').filter((l) => !l.includes('<anonymous>')).join('\n'), o.ownFile);
      resolve({ stack, location: o.file ? locateInStack(stack, o.file) : undefined });
    };
    const timer = setTimeout(() => settle(), o.timeoutMs ?? 1000);
    try {
      session.connect();
      session.on('NodeWorker.attachedToWorker', (m: { params: { sessionId: string; workerInfo: { workerId: string } } }) => {
        if (sessionId || m.params.workerInfo.workerId !== threadId) return;
        sessionId = m.params.sessionId;
        toWorker('Debugger.enable');
        toWorker('Debugger.pause');
      });
      session.on('NodeWorker.receivedMessageFromWorker', (m: { params: { message: string } }) => {
        const msg = JSON.parse(m.params.message) as {
          id?: number;
          method?: string;
          params?: { callFrames?: Array<{ callFrameId: string }> };
          result?: { result?: { value?: unknown } };
        };
        if (msg.method === 'Debugger.paused') {
          const frame = msg.params?.callFrames?.[0];
          if (!frame) return settle();
          evalId = toWorker('Debugger.evaluateOnCallFrame', { callFrameId: frame.callFrameId, expression: EXPRESSION });
        } else if (msg.id === evalId) {
          const value = msg.result?.result?.value;
          settle(typeof value === 'string' ? value : undefined);
        }
      });
      session.post('NodeWorker.enable', { waitForDebuggerOnStart: false });
    } catch {
      settle();
    }
  });
}
