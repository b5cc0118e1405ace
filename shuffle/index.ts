// shuffle/: where keys and chunks live (XOR distance over node positions). Exchange streams
// and dynamic salting build on this.
export { positionOf, compareDistance, member, nearest, keyHash, ID_BYTES, type Member } from "./placement.ts";
