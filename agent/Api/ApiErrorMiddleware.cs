namespace AppSwitch.Agent.Api;

/// <summary>
/// Gives every error answer a JSON body `{"error":"…"}`: routing's bare 404 (no such path) and 405 (path exists,
/// method does not), 400/408 for a body Kestrel could not read, and 500 for an exception an endpoint did not handle.
/// </summary>
internal sealed partial class ApiErrorMiddleware(RequestDelegate next, ILogger<ApiErrorMiddleware> log)
{
    public async Task InvokeAsync(HttpContext context)
    {
        try
        {
            await next(context);
        }
        catch (BadHttpRequestException e) when (!context.Response.HasStarted)
        {
            // A body Kestrel could not read (bad chunking, cut short, too slow): the client's error, with its status.
            await JsonResponses.WriteErrorAsync(context, e.StatusCode, e.Message);
            return;
        }
        catch (Exception e) when (!context.Response.HasStarted && !context.RequestAborted.IsCancellationRequested)
        {
            LogUnhandled(log, e, context.Request.Method, context.Request.Path);
            await JsonResponses.WriteErrorAsync(context, StatusCodes.Status500InternalServerError, "internal error");
            return;
        }

        if (context.Response.HasStarted) return;
        var request = $"{context.Request.Method} {context.Request.Path}";
        switch (context.Response.StatusCode)
        {
            case StatusCodes.Status404NotFound:
                await JsonResponses.WriteErrorAsync(context, StatusCodes.Status404NotFound, $"no such resource: {context.Request.Path}");
                break;
            case StatusCodes.Status405MethodNotAllowed:
                await JsonResponses.WriteErrorAsync(context, StatusCodes.Status405MethodNotAllowed, $"method not allowed: {request}");
                break;
        }
    }

    [LoggerMessage(EventId = 100, Level = LogLevel.Error, Message = "unhandled error serving {Method} {Path}")]
    private static partial void LogUnhandled(ILogger logger, Exception error, string method, string path);
}
