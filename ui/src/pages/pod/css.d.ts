// Vite bundles a stylesheet a module imports for its side effect (the pod pages' own, and xterm's).
declare module '*.css'
