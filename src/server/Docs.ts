/**
 * The API docs page (`GET /docs`): effect's `HttpApiScalar` page (Scalar's API reference on the server's OpenAPI
 * document, its script inlined: no CDN), built on the first request instead of when the server starts. Scalar's
 * script is ~3 MB: a server whose docs nobody opens does not load it (~13 MB less RSS, a faster start).
 *
 * @example
 * ```ts
 * const routes = Layer.mergeAll(HttpApiBuilder.layer(Api), Docs.layer(Api, "/docs"))
 * ```
 */
import { Effect, Scope } from "effect"
import { HttpRouter } from "effect/http"
import { type HttpApi, type HttpApiGroup, HttpApiScalar } from "effect/http-api"

/**
 * `GET <path>`: the docs page of `api`. The first request builds the page's own router (HttpApiScalar's) in the
 * server's scope; it serves that request and every later one.
 *
 * @example
 * ```ts
 * const docs = Docs.layer(Api, "/docs")
 * ```
 */
export const layer = <Id extends string, Groups extends HttpApiGroup.Constraint>(api: HttpApi.HttpApi<Id, Groups>, path: `/${string}` = "/docs") =>
  HttpRouter.use((router) =>
    Effect.gen(function*() {
      const scope = yield* Scope.Scope
      const docs = yield* Effect.cached(Scope.provide(HttpRouter.toHttpEffect(HttpApiScalar.layer(api, { path })), scope))
      yield* router.add("GET", path, Effect.flatten(docs))
    })
  )
