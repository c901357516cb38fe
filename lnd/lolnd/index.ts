export { LoLnd } from './lolnd.js';
