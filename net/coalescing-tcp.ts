// TCP whose writes are coalesced per turn of the event loop, and whose reads are decoded without
// error stacks (decodeWithoutStacks). libp2p writes each encrypted muxer frame to the socket on
// its own, and yamux answers every data frame with a window update, so a busy node made one
// system call per small frame; on loopback each call also runs the receiving side's TCP path: in
// a profile of nodes serving queries, those calls were the largest cost after GC. Corking the
// socket at the first write and uncorking it once the event loop turns sends everything written
// meanwhile in one writev.
import type { Socket } from "node:net";
import { tcp } from "@libp2p/tcp";
import type { Transport, Upgrader } from "@libp2p/interface";

type TcpComponents = Parameters<ReturnType<typeof tcp>>[0];

/** The part of libp2p's TCP connection this relies on: its socket and the method that writes to it. */
interface SocketConnection {
  socket: Socket;
  sendData(data: Iterable<Uint8Array>): unknown;
}

/**
 * Noise finds the end of the frames in a chunk by decoding one length too many: the decoder throws
 * a RangeError on the empty rest, and its caller catches it. So every chunk read builds an
 * error with its stack, which was 5 % of a busy node's CPU. While a chunk is dispatched
 * (synchronously: transport, Noise, the muxer's framing) errors are built without stacks; what a
 * peer's bytes break there is reported by message, and nothing of ours runs until it returns.
 */
function decodeWithoutStacks(socket: Socket): void {
  const emit = socket.emit as (this: Socket, event: string | symbol, ...args: unknown[]) => boolean;
  socket.emit = function (this: Socket, event: string | symbol, ...args: unknown[]): boolean {
    if (event !== "data") return emit.apply(this, [event, ...args]);
    const limit = Error.stackTraceLimit;
    Error.stackTraceLimit = 0;
    try {
      return emit.apply(this, [event, ...args]);
    } finally {
      Error.stackTraceLimit = limit;
    }
  } as Socket["emit"];
}

/** Coalesces a connection's writes, and dispatches its reads without error stacks. */
function adaptConnection(connection: unknown): void {
  const target = connection as Partial<SocketConnection>;
  const socket = target.socket;
  const sendData = target.sendData;
  // Another transport's connection (or a libp2p that changed shape): left as it is.
  if (!socket || typeof sendData !== "function" || typeof socket.cork !== "function") return;
  decodeWithoutStacks(socket);
  target.sendData = (data) => {
    if (socket.writableCorked === 0 && !socket.destroyed) {
      socket.cork();
      setImmediate(() => {
        while (socket.writableCorked > 0) socket.uncork();
      });
    }
    return sendData.call(connection, data);
  };
}

function coalescingUpgrader(upgrader: Upgrader): Upgrader {
  return new Proxy(upgrader, {
    get(target, property, receiver) {
      if (property === "upgradeInbound" || property === "upgradeOutbound") {
        const upgrade = Reflect.get(target, property, receiver) as (connection: unknown, ...rest: unknown[]) => unknown;
        return (connection: unknown, ...rest: unknown[]) => {
          adaptConnection(connection);
          return upgrade.call(target, connection, ...rest);
        };
      }
      return Reflect.get(target, property, receiver);
    },
  });
}

/** libp2p's TCP transport, with each connection's writes coalesced per event-loop turn. */
export function coalescingTcp(init?: Parameters<typeof tcp>[0]): (components: TcpComponents) => Transport {
  const create = tcp(init);
  return (components) => {
    const inner = create(components);
    return new Proxy(inner, {
      get(target, property, receiver) {
        if (property === "dial") {
          return (address: Parameters<Transport["dial"]>[0], options: Parameters<Transport["dial"]>[1]) =>
            target.dial(address, { ...options, upgrader: coalescingUpgrader(options.upgrader) });
        }
        if (property === "createListener") {
          return (options: Parameters<Transport["createListener"]>[0]) => target.createListener({ ...options, upgrader: coalescingUpgrader(options.upgrader) });
        }
        return Reflect.get(target, property, receiver);
      },
    });
  };
}
