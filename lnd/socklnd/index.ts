export { SockLnd, type SockLndOptions, type SockLndStats, type AcceptMode } from './socklnd.js';
