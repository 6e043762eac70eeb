"""Talking to LLM endpoints: what detection, synthesis, the judge and evaluation share.

- urls: base URLs fit for a message (`safe_url`); URLs that carry a key are refused or stripped.
- redact: server text fit for a one-sentence message (the key replaced, one short line).
- errors: `LLMCallError`, a failed call with its `FailureKind` (what the caller should do).
- openai_errors / gemini_errors: the exceptions of the openai and google-genai SDKs as
  LLMCallErrors with one key-free sentence.
- retry: Retry-After from response headers and exponential backoff that honours it.
- openai_chat: `OpenAIChat`, one model behind an OpenAI-compatible chat.completions endpoint.
- images: the MIME type of image bytes.
- lenient_json: JSON out of a model's answer (a <think> block, a ``` fence, prose around
  it, single quotes, trailing commas).

Each caller turns an LLMCallError into its own typed error (SynthError, EndpointError,
EvalBackendError). The SDKs are imported only by the modules that need them.
"""
