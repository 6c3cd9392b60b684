// Child process for node-sdk.spec.ts: starts the SDK from the inherited
// OTEL_* environment, makes one span and shuts down (which must flush it).
// Runs in its own process because the SDK registers process-wide globals.
import { addSpanEvent, handoffEvents, startTelemetry, withSpan } from '../src/index.js';

const telemetry = startTelemetry({ serviceName: 'telemetry-spec', serviceVersion: '1.2.3' });
const recording = await withSpan('fixture span', { attributes: { 'eckd.test': true } }, (span) => {
  addSpanEvent(handoffEvents.persisted);
  return span.isRecording();
});
let shutdownError: string | null = null;
const shutdownStartedAt = Date.now();
await telemetry.shutdown().catch((err: unknown) => (shutdownError = err instanceof Error ? err.name : String(err)));
const shutdownMs = Date.now() - shutdownStartedAt;
// Exit like an app's shutdown does, without waiting for an abandoned export.
process.stdout.write(JSON.stringify({ enabled: telemetry.enabled, recording, shutdownError, shutdownMs }), () =>
  process.exit(0),
);
