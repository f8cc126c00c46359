/** Cards take a translator instead of importing the catalog's state: they stay pure and testable. */
export type Translate = (key: string, vars?: Record<string, string | number>) => string;
