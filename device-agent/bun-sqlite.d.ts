/**
 * The slice of bun:sqlite the agent uses. The project type-checks with Node's types;
 * declaring this one module keeps Bun's globals out of the Node code.
 */
declare module "bun:sqlite" {
  export interface Statement {
    run(...params: Array<string | number | bigint | null | Uint8Array>): unknown;
    get(...params: Array<string | number | bigint | null | Uint8Array>): unknown;
    all(...params: Array<string | number | bigint | null | Uint8Array>): unknown[];
    finalize(): void;
  }
  export class Database {
    constructor(path: string, options?: { create?: boolean; readwrite?: boolean; readonly?: boolean });
    exec(sql: string): void;
    prepare(sql: string): Statement;
    transaction<T>(work: () => T): () => T;
    close(): void;
  }
}
