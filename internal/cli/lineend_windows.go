package cli

const lineEndCRLF = true
