"""`ouroboros serve`: the in-process kernel behind the Ollama, OpenAI and Anthropic HTTP APIs.

Modules:
    common         ApiError (one kind per failure, each API renders its own shape), strict
                   JSON bodies under a size cap, request-model validation
    queue          ModelQueue: one generation at a time, first come first served, bounded
    model          ServedModel: prompt checks against the context, sampling per request,
                   a Job that completes or streams, the kernel's telemetry
    tools          a request's tools: what the kernel is told, the grammar of a required
                   call, the generated text split into prose and native calls
    ollama_api     /api/chat, /api/generate, /api/tags, /api/show
    openai_api     /v1/chat/completions, /v1/models
    anthropic_api  /v1/messages
    app            the Starlette app: the loopback guard, the request log, API-shaped 404s
    cli            the `serve` command: its flags, bind, load the model with progress, run
                   uvicorn (cheap to import: the CLI's parser reads its flags)
"""
