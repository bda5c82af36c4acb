import { SpanKind, SpanStatusCode, context, propagation, trace, type Context, type Span, type TextMapGetter, type TextMapSetter } from '@opentelemetry/api';
import type { SpanExporter } from '@opentelemetry/sdk-trace-base';

/** The tracer every Redthread component records its spans with (a no-op until {@link startTracing}). */
export const tracer = trace.getTracer('redthread');

/** Options for {@link startTracing}. */
export interface TracingOptions {
  /** `service.name` of the process's spans (each span also says which component made it). */
  serviceName: string;
  /** An OTLP/HTTP collector (`OTEL_EXPORTER_OTLP_ENDPOINT`, e.g. http://127.0.0.1:4318); spans go to `<endpoint>/v1/traces`. */
  endpoint?: string | undefined;
  /** Export here instead, span by span (tests use the SDK's in-memory exporter). */
  exporter?: SpanExporter;
}

/** A started tracer provider: flush and stop it at shutdown. */
export interface Tracing {
  shutdown(): Promise<void>;
}

/**
 * Turns tracing on for this process: W3C trace context in and out, spans batched to the OTLP
 * endpoint (or handed to `exporter`). Without either it does nothing and returns undefined, and
 * every span is the API's no-op: tracing costs nothing when it is off. The SDK is loaded only
 * here (it takes a good part of a second to import), so a process without tracing never loads it.
 */
export async function startTracing(options: TracingOptions): Promise<Tracing | undefined> {
  if (!options.endpoint && !options.exporter) return undefined;
  const [{ OTLPTraceExporter }, { resourceFromAttributes }, { BatchSpanProcessor, SimpleSpanProcessor }, { NodeTracerProvider }] = await Promise.all([
    import('@opentelemetry/exporter-trace-otlp-http'),
    import('@opentelemetry/resources'),
    import('@opentelemetry/sdk-trace-base'),
    import('@opentelemetry/sdk-trace-node'),
  ]);
  const processor = options.exporter
    ? new SimpleSpanProcessor(options.exporter)
    : new BatchSpanProcessor(new OTLPTraceExporter({ url: `${options.endpoint!.replace(/\/$/, '')}/v1/traces` }));
  const provider = new NodeTracerProvider({
    resource: resourceFromAttributes({ 'service.name': options.serviceName }),
    spanProcessors: [processor],
  });
  provider.register();
  return {
    shutdown: async () => {
      await provider.shutdown();
      trace.disable();
      propagation.disable();
      context.disable();
    },
  };
}

const headerGetter: TextMapGetter<Record<string, string | string[] | undefined>> = {
  keys: (carrier) => Object.keys(carrier),
  get: (carrier, key) => carrier[key],
};
const headerSetter: TextMapSetter<{ set(name: string, value: string): void }> = {
  set: (carrier, key, value) => carrier.set(key, value),
};

/** The trace context a request arrived with (`traceparent`), to continue it. */
export function incomingContext(headers: Record<string, string | string[] | undefined>): Context {
  return propagation.extract(context.active(), headers, headerGetter);
}

/** Writes the active trace context into outgoing request headers (`traceparent`). */
export function injectTraceContext(headers: { set(name: string, value: string): void }): void {
  propagation.inject(context.active(), headers, headerSetter);
}

/**
 * Runs `work` in a span named `name` (active inside it, so nested spans and outgoing requests
 * are its children), recording an exception and error status if it throws, and ending it after.
 */
export async function inSpan<T>(
  name: string,
  options: { kind?: SpanKind; attributes?: Record<string, string | number | boolean>; parent?: Context },
  work: (span: Span) => Promise<T>,
): Promise<T> {
  const parent = options.parent ?? context.active();
  return tracer.startActiveSpan(name, { kind: options.kind ?? SpanKind.INTERNAL, ...(options.attributes ? { attributes: options.attributes } : {}) }, parent, async (span) => {
    try {
      return await work(span);
    } catch (error) {
      span.recordException(error as Error);
      span.setStatus({ code: SpanStatusCode.ERROR, message: error instanceof Error ? error.message : String(error) });
      throw error;
    } finally {
      span.end();
    }
  });
}

/** The ids of the active span, for log lines; empty when tracing is off. */
export function activeTraceIds(): { traceId?: string; spanId?: string } {
  const span = trace.getActiveSpan();
  if (!span) return {};
  const { traceId, spanId, traceFlags } = span.spanContext();
  return traceFlags === undefined || !trace.isSpanContextValid(span.spanContext()) ? {} : { traceId, spanId };
}

export { SpanKind };
