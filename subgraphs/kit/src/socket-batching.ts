import type { Socket } from 'node:net';
import type { WebSocket, WebSocketServer } from 'ws';

/**
 * Frames sent on one WebSocket in the same turn of the event loop go out in one write. A
 * connection carrying several subscriptions gets an event's messages for each of them within one
 * turn, and `ws` writes every frame on its own (a system call each, most of the sending work
 * when one event fans out to thousands of subscriptions): the connection's socket is corked at the
 * first frame of a turn and uncorked once the turn's callbacks and promise jobs have run
 * (setImmediate), which writes what gathered at once. Nothing waits longer than that turn.
 */
export function batchFramesPerTurn(wss: WebSocketServer): void {
  wss.on('connection', (ws: WebSocket) => {
    // ws keeps the connection's socket here; without one (never on a server) frames go as they are.
    const socket = (ws as unknown as { _socket?: Socket })._socket;
    if (!socket) return;
    let corked = false;
    const send = ws.send.bind(ws) as (...args: unknown[]) => void;
    ws.send = ((...args: unknown[]) => {
      if (!corked && !socket.destroyed) {
        corked = true;
        socket.cork();
        setImmediate(() => {
          corked = false;
          socket.uncork();
        });
      }
      send(...args);
    }) as WebSocket['send'];
  });
}
