/** glibc's strerror() texts, for the messages lnetctl and lctl build with it (one table, in the error documents). */
export { strerror } from '../control/docs/error-docs.js';
