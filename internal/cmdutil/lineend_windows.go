package cmdutil

const lineEndCRLF = true
