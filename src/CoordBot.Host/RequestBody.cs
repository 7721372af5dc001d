namespace CoordBot.Host;

/// <summary>Reads a request body up to a limit, turning the ways it can be wrong into 4xx results.</summary>
public static class RequestBody
{
    public readonly record struct Result(byte[] Bytes, IResult? Error);

    public static async Task<Result> ReadAsync(HttpRequest request, long limit, CancellationToken ct, bool allowEmpty = false)
    {
        using var buffer = new MemoryStream();
        var chunk = new byte[16 * 1024];
        try
        {
            int read;
            while ((read = await request.Body.ReadAsync(chunk, ct)) > 0)
            {
                buffer.Write(chunk, 0, read);
                if (buffer.Length > limit) return new([], TooLarge(limit));
            }
        }
        catch (BadHttpRequestException e) when (e.StatusCode == StatusCodes.Status413PayloadTooLarge)
        {
            return new([], TooLarge(limit));
        }
        if (buffer.Length == 0 && !allowEmpty)
            return new([], Results.Json(new { error = "The request body is empty." }, statusCode: StatusCodes.Status400BadRequest));
        return new(buffer.ToArray(), null);
    }

    private static IResult TooLarge(long limit) =>
        Results.Json(new { error = $"The request body is larger than {limit} bytes." }, statusCode: StatusCodes.Status413PayloadTooLarge);
}
