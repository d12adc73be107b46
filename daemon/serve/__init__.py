"""`ouroboros serve`: the in-process kernel behind the Ollama, OpenAI and Anthropic HTTP APIs.

Modules:
    errors         ApiError (one kind per failure) and the one error_response that renders
                   it in each API's shape
    common         strict JSON bodies, request-model validation, the message and tool caps
    queue          ModelQueue: one generation at a time, first come first served, bounded
    model          ServedModel: prompt checks against the context, sampling per request,
                   a Job that completes or streams, the token cap and the generation
                   slot's lease (serve.max_tokens, serve.max_share_s), the kernel's telemetry
    tools          a request's tools: what the kernel is told, the grammar of a required
                   call, the generated text split into prose and native calls
    ollama_api     /api/chat, /api/generate, /api/tags, /api/show
    openai_api     /v1/chat/completions, /v1/models
    anthropic_api  /v1/messages
    app            the Starlette app: the loopback guard, the request log, API-shaped 404s;
                   its uvicorn config under the shared HTTP limits (sensors.http_limits)
    cli            the `serve` command: its flags, bind, load the model with progress, run
                   uvicorn (cheap to import: the CLI's parser reads its flags)
"""
