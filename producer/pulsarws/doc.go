// Package pulsarws produces over Pulsar's WebSocket producer API
// (https://pulsar.apache.org/docs/client-libraries-websocket/) and
// registers two target systems with producer/registry:
//
//   - kind "pulsar-ws" (URL schemes ws, wss): Pulsar's WebSocket service,
//     ws://host:8080/ws/v2/producer/persistent/{tenant}/{namespace}/{topic};
//   - kind "macrometa" (URL scheme macrometa; https URLs in the target
//     block): Macrometa GDN streams as the jsC8 and pyC8 SDKs produce,
//     wss://{host}/_ws/ws/v2/producer/persistent/{tenant}/{c8global|c8local}.{fabric}/{c8globals|c8locals}.{stream},
//     with API key or JWT authentication, a one-time password per
//     connection, and stream creation through the GDN REST API.
//
// Both use one client (github.com/coder/websocket): a JSON frame per
// message with a per-connection context, acks matched by context, a
// window of max_pending_messages per connection that blocks or fails with
// producer.ErrQueueFull, sync and async send, several connections per
// topic, reconnection with backoff, and every failure counted once by
// kind ("pulsar-ws:send-error:N", "pulsar-ws:connection", "send_timeout",
// ...). The producer options travel as the API's query parameters (see
// QueryParams). Without a URL both kinds run against an embedded
// stand-in, an in-process server of the API: for trying the tool and for
// tests; latency against it says nothing about Pulsar or Macrometa. run
// --verify reads back from that stand-in only, which replays what it
// retained; a target given by URL has no read back.
// docs/pulsar-ws.md is the user documentation.
package pulsarws
