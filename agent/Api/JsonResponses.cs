using System.Text.Json.Serialization.Metadata;
using AppSwitch.Common.Json;

namespace AppSwitch.Agent.Api;

/// <summary>Writes JSON bodies with the source-generated <see cref="ApiJsonContext"/> (no reflection on the request path).</summary>
internal static class JsonResponses
{
    public static Task WriteAsync<T>(HttpContext context, int status, T value, JsonTypeInfo<T> type)
    {
        context.Response.StatusCode = status;
        return context.Response.WriteAsJsonAsync(value, type, contentType: "application/json", context.RequestAborted);
    }

    public static Task WriteErrorAsync(HttpContext context, int status, string message) =>
        WriteAsync(context, status, new ApiError(message), ApiJsonContext.Default.ApiError);
}
