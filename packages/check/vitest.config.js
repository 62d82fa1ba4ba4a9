import { defineConfig } from 'vitest/config';

// Generous bounds, not speed checks: the whole suite runs its packages in parallel on small machines.
export default defineConfig({ test: { testTimeout: 60_000, hookTimeout: 60_000 } });
