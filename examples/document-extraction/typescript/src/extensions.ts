// Your own code for document_extraction: helpers around the generated assistants and workflows.
//
// aiwf never regenerates this file; `copier update` (or `aiwf upgrade`) merges template
// changes into it. It is re-exported from the package's entry point as `extensions`.

export {};
