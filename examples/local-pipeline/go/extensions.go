package localpipeline

// This file is yours: aiwf never rewrites it. Put helpers for the generated Client here
// (they are in the same package and see its unexported fields).
