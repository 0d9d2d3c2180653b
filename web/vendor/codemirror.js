// web/vendor/codemirror.js: the parts of CodeMirror 6 the page uses, as
// one module. Not served itself: tools/bundle.mjs bundles it with esbuild
// (both pinned in tools/package-lock.json) into build/web/codemirror.js,
// which the binary embeds and the page's modules import as
// './codemirror.js'. Adding an export here is the one way to use another
// part of the library.

export { EditorState, EditorSelection, Compartment, StateEffect, StateField, Prec, Text } from '@codemirror/state';
export {
  EditorView, keymap, lineNumbers, highlightActiveLine, highlightActiveLineGutter, drawSelection,
  highlightSpecialChars, hoverTooltip, placeholder, Decoration, ViewPlugin,
} from '@codemirror/view';
export {
  defaultKeymap, history, historyKeymap, indentWithTab, simplifySelection, temporarilySetTabFocusMode,
} from '@codemirror/commands';
export {
  syntaxTree, ensureSyntaxTree, foldGutter, foldKeymap, foldAll, unfoldAll, indentOnInput, bracketMatching, syntaxHighlighting,
  indentUnit, codeFolding,
} from '@codemirror/language';
export { classHighlighter } from '@lezer/highlight';
export { json, jsonLanguage } from '@codemirror/lang-json';
export { lintGutter, lintKeymap, setDiagnostics, forEachDiagnostic, diagnosticCount } from '@codemirror/lint';
export { search, searchKeymap, highlightSelectionMatches, openSearchPanel } from '@codemirror/search';
export {
  autocompletion, closeBrackets, closeBracketsKeymap, completionKeymap, startCompletion,
} from '@codemirror/autocomplete';
export { MergeView, unifiedMergeView, getChunks, Chunk } from '@codemirror/merge';
