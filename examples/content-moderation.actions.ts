/**
 * The actions of content-moderation.yaml, live: each calls the content service at `CONTENT_API_URL` (publish and
 * queue_review) or posts a signed webhook to `NOTIFY_WEBHOOK_URL` (send_notification), through the built-in `http`
 * and `webhook` actions.
 *
 *   CONTENT_API_URL=http://127.0.0.1:8080 NOTIFY_WEBHOOK_URL=http://127.0.0.1:8080/notify \
 *     npx llm-orchestrator run examples/content-moderation.yaml --actions examples/content-moderation.actions.ts \
 *     --input '{"content":"hello"}'
 */
import { Effect, Schema } from "effect"
import { Action, Builtin } from "llm-orchestrator/actions"

const url = (name: string) =>
  Effect.suspend(() => {
    const v = process.env[name]
    return v === undefined || v === "" ? Effect.die(new Error(`set ${name} (the content service's URL)`)) : Effect.succeed(v)
  })

export const publish = Action.make({
  description: "Publish the content",
  params: Schema.Struct({ content: Schema.String }),
  run: ({ content }) =>
    Effect.flatMap(url("CONTENT_API_URL"), (base) =>
      Effect.map(Builtin.http.run({ method: "POST", url: `${base}/posts`, json: { content }, expect_status: [201] }), (r) => r.body))
})

export const queue_review = Action.make({
  description: "Queue the content for human review",
  params: Schema.Struct({ content: Schema.String, priority: Schema.Literals(["low", "medium", "high"]) }),
  run: ({ content, priority }) =>
    Effect.flatMap(url("CONTENT_API_URL"), (base) =>
      Effect.map(Builtin.http.run({ method: "POST", url: `${base}/reviews`, json: { content, priority }, retry: { times: 2, base: "50ms" } }), (r) => r.body))
})

export const send_notification = Action.make({
  description: "Tell the author why the content was blocked",
  params: Schema.Struct({ message: Schema.String }),
  run: ({ message }) =>
    Effect.flatMap(url("NOTIFY_WEBHOOK_URL"), (target) =>
      Effect.map(Builtin.webhook(undefined).run({ url: target, payload: { message } }), (r) => ({ delivered: r.status < 300 })))
})
