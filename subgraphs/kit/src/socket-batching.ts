import type { Socket } from 'node:net';
import type { WebSocket, WebSocketServer } from 'ws';

/**
 * Frames sent on one WebSocket while the same promise jobs run go out in one write. A connection
 * carrying several subscriptions gets an event's messages for each of them from promise jobs of
 * the same turn, and `ws` writes every frame on its own (a system call each, most of the sending
 * work when one event fans out to thousands of subscriptions): the connection's socket is corked
 * at the first frame and uncorked by a `process.nextTick`, which runs once the promise jobs queued
 * by then (and those they queue) have run, and writes what gathered at once. Not later than that:
 * graphql-ws waits for each frame's write before it sends a subscription's next one, so holding
 * the socket until the end of the turn (setImmediate) made a replay of 1,000 events take 1,000 turns.
 */
export function batchFrames(wss: WebSocketServer): void {
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
        process.nextTick(() => {
          corked = false;
          socket.uncork();
        });
      }
      send(...args);
    }) as WebSocket['send'];
  });
}
