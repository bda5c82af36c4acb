/**
 * The OpenTelemetry SDK pieces tests need, of the same SDK version `startTracing` loads
 * (Apollo Gateway brings an older one to the top of node_modules): the in-memory exporter and
 * the finished-span type. A separate entry point, so that importing the kit never loads the SDK.
 */
export { InMemorySpanExporter, type ReadableSpan } from '@opentelemetry/sdk-trace-base';

