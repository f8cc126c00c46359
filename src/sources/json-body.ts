/** The JSON body of a verified webhook: one parser for every source (src/core/mount-source.ts). */
export { parseJsonObject } from '../core/mount-source.ts';
