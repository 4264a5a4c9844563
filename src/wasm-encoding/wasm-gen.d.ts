// SPDX-License-Identifier: MIT
/** Types for the part of @webassemblyjs/wasm-gen's public entry (encodeNode) that binary.ts uses. */
declare module '@webassemblyjs/wasm-gen' {
  export interface NumberLiteral {
    readonly type: 'NumberLiteral';
    readonly value: number;
  }
  export interface FloatLiteral {
    readonly type: 'FloatLiteral';
    readonly value: number;
  }
  export interface Instr {
    readonly type: 'Instr';
    readonly id: string;
    readonly object?: string;
    readonly args?: readonly (NumberLiteral | FloatLiteral)[];
  }
  export type WasmGenNode =
    | Instr
    | { readonly type: 'SectionMetadata'; readonly section: string; readonly size: NumberLiteral; readonly vectorOfSize: NumberLiteral }
    | { readonly type: 'TypeInstruction'; readonly functype: { readonly params: readonly { readonly valtype: string }[]; readonly results: readonly string[] } }
    | { readonly type: 'ModuleExport'; readonly name: string; readonly descr: { readonly exportType: 'Func' | 'Table' | 'Memory' | 'Global'; readonly id: NumberLiteral } }
    | { readonly type: 'Global'; readonly globalType: { readonly valtype: string; readonly mutability: 'const' | 'var' }; readonly init: readonly Instr[] }
    | { readonly type: 'IndexInFuncSection'; readonly index: NumberLiteral }
    | { readonly type: 'CallInstruction'; readonly index: NumberLiteral };
  export function encodeNode(node: WasmGenNode): number[];
  export function encodeU32(v: number): number[];
}
