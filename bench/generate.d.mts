/** Types of bench/generate.mjs (for the tests that import it). */
export declare function generateModule(functions: number, seed?: number): string;
export declare function writeModuleTree(root: string, functions: number): { path: string; lines: number };
export declare function writeMultiTree(root: string, modules: number, functions: number): { paths: string[]; lines: number };
export declare const UNITS_PER_GROUP: number;
