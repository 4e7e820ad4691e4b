// Vite bundles a stylesheet a module imports for its side effect (the explorer's own styles).
declare module '*.css'
