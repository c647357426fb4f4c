// A minimal Chrome DevTools Protocol client: what VS Code's JavaScript debugger does to a runner
// started under --inspect-brk, for the tests of debug runs.
import { WebSocket } from 'undici';

/** A minimal Chrome DevTools Protocol client. */
export class Cdp {
  private nextId = 1;
  private pending = new Map<number, (result: any) => void>();
  private listeners: Array<(method: string, params: any) => void> = [];
  private constructor(private readonly ws: WebSocket) {
    ws.addEventListener('message', (e) => {
      const msg = JSON.parse(String(e.data));
      if (msg.id && this.pending.has(msg.id)) { this.pending.get(msg.id)!(msg.result ?? msg.error); this.pending.delete(msg.id); }
      else if (msg.method) for (const l of this.listeners) l(msg.method, msg.params);
    });
  }
  static async connect(url: string): Promise<Cdp> {
    const ws = new WebSocket(url);
    await new Promise((resolveOpen, reject) => { ws.addEventListener('open', resolveOpen); ws.addEventListener('error', reject); });
    return new Cdp(ws);
  }
  send(method: string, params: object = {}): Promise<any> {
    const id = this.nextId++;
    this.ws.send(JSON.stringify({ id, method, params }));
    return new Promise((r) => this.pending.set(id, r));
  }
  on(listener: (method: string, params: any) => void): void { this.listeners.push(listener); }
  close(): void { this.ws.close(); }
}

/**
 * Attaches to the inspector on `port` as VS Code's debugger does with continueOnAttach: lets the
 * paused runner go, resumes at every pause (calling `onPause` first), and disconnects when the
 * program's context is destroyed (Node waits for the debugger to leave before it exits).
 */
export async function attachAndContinue(port: number, onPause: (method: string, params: any) => void = () => {}): Promise<Cdp> {
  const [target] = await (await fetch(`http://127.0.0.1:${port}/json/list`)).json() as Array<{ webSocketDebuggerUrl: string }>;
  const cdp = await Cdp.connect(target.webSocketDebuggerUrl);
  cdp.on((method, params) => {
    if (method === 'Runtime.executionContextDestroyed') cdp.close();
    if (method === 'Debugger.paused') { onPause(method, params); void cdp.send('Debugger.resume'); }
  });
  await cdp.send('Runtime.enable');
  await cdp.send('Debugger.enable');
  await cdp.send('Runtime.runIfWaitingForDebugger');
  return cdp;
}
