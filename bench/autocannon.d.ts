// The part of autocannon's API bench/server.ts uses (the package ships no types).
declare module "autocannon" {
  namespace autocannon {
    interface Options {
      readonly url: string
      readonly method?: string
      readonly headers?: Record<string, string>
      readonly body?: string
      readonly duration?: number
      readonly connections?: number
    }
    interface Histogram {
      readonly average: number
      readonly p50: number
      readonly p99: number
    }
    interface Result {
      readonly requests: Histogram
      readonly latency: Histogram
      readonly non2xx: number
      readonly errors: number
    }
  }
  function autocannon(options: autocannon.Options, callback: (err: Error | null, result: autocannon.Result) => void): unknown
  export default autocannon
}
