// Vite bundles a stylesheet a module imports for its side effect (the access pages' own styles).
declare module '*.css'
