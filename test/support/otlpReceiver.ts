/**
 * A local OTLP/HTTP traces receiver for tests: a real HTTP server on a random port that accepts
 * `POST /v1/traces` in OTLP/JSON or OTLP/protobuf and decodes what arrives into plain spans (ids in hex, attributes as
 * plain values), the way a collector would read them. The protobuf side is a minimal wire-format reader for the OTLP
 * trace messages (no generated code).
 */
import { createServer, type IncomingMessage, type ServerResponse } from "node:http"
import type { AddressInfo } from "node:net"

/** One received span. */
export interface ReceivedSpan {
  readonly traceId: string
  readonly spanId: string
  /** "" for a root span. */
  readonly parentSpanId: string
  readonly name: string
  /** OTLP SpanKind: 1 internal, 2 server, 3 client, 4 producer, 5 consumer. */
  readonly kind: number
  readonly startNanos: bigint
  readonly endNanos: bigint
  readonly attributes: Readonly<Record<string, unknown>>
  readonly events: ReadonlyArray<{ readonly name: string; readonly attributes: Readonly<Record<string, unknown>> }>
  /** OTLP StatusCode: 0 unset, 1 ok, 2 error. */
  readonly status: { readonly code: number; readonly message: string }
  readonly resource: Readonly<Record<string, unknown>>
}

/** One HTTP request the receiver got. */
export interface ReceivedRequest {
  readonly path: string
  readonly contentType: string
  readonly body: Buffer
}

export interface OtlpReceiver {
  /** Base endpoint, e.g. `http://127.0.0.1:40123` (the exporter appends `/v1/traces`). */
  readonly endpoint: string
  readonly requests: ReadonlyArray<ReceivedRequest>
  readonly spans: () => ReadonlyArray<ReceivedSpan>
  readonly close: () => Promise<void>
}

// ---- OTLP/JSON --------------------------------------------------------------------------------------------------

type JsonAnyValue = {
  readonly stringValue?: string
  readonly boolValue?: boolean
  readonly intValue?: string | number
  readonly doubleValue?: number | string
  readonly arrayValue?: { readonly values?: ReadonlyArray<JsonAnyValue> }
}
type JsonKeyValue = { readonly key: string; readonly value: JsonAnyValue }

const jsonValue = (v: JsonAnyValue): unknown => {
  if (v.stringValue !== undefined) return v.stringValue
  if (v.boolValue !== undefined) return v.boolValue
  if (v.intValue !== undefined) return Number(v.intValue)
  if (v.doubleValue !== undefined) return Number(v.doubleValue)
  if (v.arrayValue !== undefined) return (v.arrayValue.values ?? []).map(jsonValue)
  return undefined
}
const jsonAttributes = (kvs: ReadonlyArray<JsonKeyValue> | undefined): Record<string, unknown> =>
  Object.fromEntries((kvs ?? []).map((kv) => [kv.key, jsonValue(kv.value)]))

const decodeJson = (body: Buffer): Array<ReceivedSpan> => {
  const data = JSON.parse(body.toString("utf8")) as {
    resourceSpans: ReadonlyArray<{ resource?: { attributes?: ReadonlyArray<JsonKeyValue> }; scopeSpans: ReadonlyArray<{ spans: ReadonlyArray<any> }> }>
  }
  const out: Array<ReceivedSpan> = []
  for (const rs of data.resourceSpans) {
    const resource = jsonAttributes(rs.resource?.attributes)
    for (const ss of rs.scopeSpans) {
      for (const s of ss.spans) {
        out.push({
          traceId: s.traceId,
          spanId: s.spanId,
          parentSpanId: s.parentSpanId ?? "",
          name: s.name,
          kind: s.kind,
          startNanos: BigInt(s.startTimeUnixNano),
          endNanos: BigInt(s.endTimeUnixNano),
          attributes: jsonAttributes(s.attributes),
          events: (s.events ?? []).map((e: any) => ({ name: e.name, attributes: jsonAttributes(e.attributes) })),
          status: { code: s.status?.code ?? 0, message: s.status?.message ?? "" },
          resource
        })
      }
    }
  }
  return out
}

// ---- OTLP/protobuf ----------------------------------------------------------------------------------------------

type Field = { readonly no: number; readonly wire: number; readonly int: bigint; readonly bytes: Buffer }

/** The fields of one protobuf message (varint, fixed64, length-delimited, fixed32). */
const fields = (buf: Buffer): Array<Field> => {
  const out: Array<Field> = []
  let i = 0
  const varint = (): bigint => {
    let result = 0n
    let shift = 0n
    for (;;) {
      const b = buf[i++]!
      result |= BigInt(b & 0x7f) << shift
      if ((b & 0x80) === 0) return result
      shift += 7n
    }
  }
  while (i < buf.length) {
    const key = Number(varint())
    const no = key >>> 3
    const wire = key & 7
    if (wire === 0) out.push({ no, wire, int: varint(), bytes: Buffer.alloc(0) })
    else if (wire === 1) {
      out.push({ no, wire, int: buf.readBigUInt64LE(i), bytes: buf.subarray(i, i + 8) })
      i += 8
    } else if (wire === 2) {
      const len = Number(varint())
      out.push({ no, wire, int: 0n, bytes: buf.subarray(i, i + len) })
      i += len
    } else if (wire === 5) {
      out.push({ no, wire, int: BigInt(buf.readUInt32LE(i)), bytes: buf.subarray(i, i + 4) })
      i += 4
    } else throw new Error(`unsupported protobuf wire type ${wire}`)
  }
  return out
}

const all = (fs: ReadonlyArray<Field>, no: number) => fs.filter((f) => f.no === no)
const one = (fs: ReadonlyArray<Field>, no: number) => fs.find((f) => f.no === no)

const protoValue = (buf: Buffer): unknown => {
  const f = fields(buf)[0]
  if (f === undefined) return undefined
  switch (f.no) {
    case 1:
      return f.bytes.toString("utf8")
    case 2:
      return f.int !== 0n
    case 3:
      return Number(BigInt.asIntN(64, f.int))
    case 4:
      return f.bytes.readDoubleLE(0)
    case 5:
      return all(fields(f.bytes), 1).map((v) => protoValue(v.bytes))
  }
  return undefined
}
const protoAttributes = (fs: ReadonlyArray<Field>): Record<string, unknown> =>
  Object.fromEntries(fs.map((kv) => {
    const parts = fields(kv.bytes)
    return [one(parts, 1)!.bytes.toString("utf8"), protoValue(one(parts, 2)?.bytes ?? Buffer.alloc(0))]
  }))

const decodeProtobuf = (body: Buffer): Array<ReceivedSpan> => {
  const out: Array<ReceivedSpan> = []
  for (const rs of all(fields(body), 1)) {
    const rsf = fields(rs.bytes)
    const resourceField = one(rsf, 1)
    const resource = resourceField === undefined ? {} : protoAttributes(all(fields(resourceField.bytes), 1))
    for (const ss of all(rsf, 2)) {
      for (const sp of all(fields(ss.bytes), 2)) {
        const s = fields(sp.bytes)
        const status = one(s, 15)
        const sf = status === undefined ? [] : fields(status.bytes)
        out.push({
          traceId: one(s, 1)!.bytes.toString("hex"),
          spanId: one(s, 2)!.bytes.toString("hex"),
          parentSpanId: one(s, 4)?.bytes.toString("hex") ?? "",
          name: one(s, 5)?.bytes.toString("utf8") ?? "",
          kind: Number(one(s, 6)?.int ?? 0n),
          startNanos: one(s, 7)?.int ?? 0n,
          endNanos: one(s, 8)?.int ?? 0n,
          attributes: protoAttributes(all(s, 9)),
          events: all(s, 11).map((e) => {
            const ef = fields(e.bytes)
            return { name: one(ef, 2)?.bytes.toString("utf8") ?? "", attributes: protoAttributes(all(ef, 3)) }
          }),
          status: { code: Number(one(sf, 3)?.int ?? 0n), message: one(sf, 2)?.bytes.toString("utf8") ?? "" },
          resource
        })
      }
    }
  }
  return out
}

// ---- server -----------------------------------------------------------------------------------------------------

/** Starts a receiver on 127.0.0.1 and a random port. */
export const startOtlpReceiver = async (): Promise<OtlpReceiver> => {
  const requests: Array<ReceivedRequest> = []
  const server = createServer((req: IncomingMessage, res: ServerResponse) => {
    const chunks: Array<Buffer> = []
    req.on("data", (c: Buffer) => chunks.push(c))
    req.on("end", () => {
      requests.push({ path: req.url ?? "", contentType: String(req.headers["content-type"] ?? ""), body: Buffer.concat(chunks) })
      res.writeHead(200, { "content-type": "application/json" })
      res.end("{}")
    })
  })
  await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve))
  const { port } = server.address() as AddressInfo
  return {
    endpoint: `http://127.0.0.1:${port}`,
    requests,
    spans: () =>
      requests.filter((r) => r.path === "/v1/traces").flatMap((r) =>
        r.contentType.includes("protobuf") ? decodeProtobuf(r.body) : decodeJson(r.body)
      ),
    close: () => new Promise<void>((resolve) => server.close(() => resolve()))
  }
}
