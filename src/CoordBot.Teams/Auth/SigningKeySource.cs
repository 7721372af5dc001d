using System.Text.Json;
using Microsoft.IdentityModel.Protocols;
using Microsoft.IdentityModel.Protocols.OpenIdConnect;
using Microsoft.IdentityModel.Tokens;

namespace CoordBot.Teams.Auth;

/// <summary>
/// The signing keys behind one OpenID metadata document, cached by a
/// <see cref="ConfigurationManager{T}"/> (which refetches in the background every 12 hours, so keys are
/// never more than a day old). A token whose <c>kid</c> is not among the keys forces a refetch, at most
/// once per <c>minimumInterval</c> on the injected clock. A forced refetch builds a fresh manager and
/// awaits its first load: after its first load a manager only refreshes in the background, and the
/// request that met the new key must not be refused while that runs.
/// </summary>
internal sealed class SigningKeySource(string metadataUrl, HttpClient http, TimeProvider time, Func<TimeSpan> minimumInterval)
{
    private readonly SemaphoreSlim _refreshGate = new(1, 1);
    private ConfigurationManager<OpenIdConnectConfiguration> _manager = CreateManager(metadataUrl, http);
    private DateTimeOffset? _lastForcedRefresh;

    public string MetadataUrl => metadataUrl;

    /// <summary>The current keys; when <paramref name="kid"/> is not among them, the keys after a refetch if one is allowed now.</summary>
    public async Task<KeySet> GetForKeyIdAsync(string kid, CancellationToken ct)
    {
        var manager = Volatile.Read(ref _manager);
        var keys = KeySet.From(await manager.GetConfigurationAsync(ct));
        if (keys.Find(kid) is not null) return keys;

        await _refreshGate.WaitAsync(ct);
        try
        {
            if (!ReferenceEquals(manager, _manager))
            {
                // Another request refetched while this one waited.
                keys = KeySet.From(await _manager.GetConfigurationAsync(ct));
                if (keys.Find(kid) is not null) return keys;
            }

            var now = time.GetUtcNow();
            if (_lastForcedRefresh is { } last && now - last < minimumInterval()) return keys;
            _lastForcedRefresh = now;

            var fresh = CreateManager(metadataUrl, http);
            var config = await fresh.GetConfigurationAsync(ct);
            Volatile.Write(ref _manager, fresh);
            return KeySet.From(config);
        }
        finally
        {
            _refreshGate.Release();
        }
    }

    private static ConfigurationManager<OpenIdConnectConfiguration> CreateManager(string metadataUrl, HttpClient http)
    {
        var retriever = new HttpDocumentRetriever(http) { RequireHttps = !IsLoopback(metadataUrl) };
        return new ConfigurationManager<OpenIdConnectConfiguration>(metadataUrl, new EndorsingConfigurationRetriever(), retriever);
    }

    internal static bool IsLoopback(string url) => Uri.TryCreate(url, UriKind.Absolute, out var uri) && TeamsOptions.IsLoopback(uri);

    /// <summary>
    /// Reads the metadata document, then its <c>jwks_uri</c>, keeping each key's non-standard
    /// <c>endorsements</c> array (read from the raw JSON) beside the parsed signing keys.
    /// </summary>
    private sealed class EndorsingConfigurationRetriever : IConfigurationRetriever<OpenIdConnectConfiguration>
    {
        public async Task<OpenIdConnectConfiguration> GetConfigurationAsync(string address, IDocumentRetriever retriever, CancellationToken cancel)
        {
            var metadata = await retriever.GetDocumentAsync(address, cancel);
            var config = new EndorsedConfiguration(metadata);
            if (string.IsNullOrEmpty(config.JwksUri)) throw new InvalidOperationException($"The metadata at {address} has no jwks_uri.");
            if (!IsLoopback(address) && !config.JwksUri.StartsWith("https://", StringComparison.OrdinalIgnoreCase))
                throw new InvalidOperationException($"The metadata at {address} names a jwks_uri that is not https.");

            var jwks = await retriever.GetDocumentAsync(config.JwksUri, cancel);
            config.JsonWebKeySet = JsonWebKeySet.Create(jwks);
            foreach (var key in config.JsonWebKeySet.GetSigningKeys()) config.SigningKeys.Add(key);
            config.Keys = new KeySet([.. config.SigningKeys], ReadEndorsements(jwks));
            return config;
        }

        private static Dictionary<string, string[]> ReadEndorsements(string jwks)
        {
            var endorsements = new Dictionary<string, string[]>(StringComparer.Ordinal);
            using var document = JsonDocument.Parse(jwks);
            if (!document.RootElement.TryGetProperty("keys", out var keys) || keys.ValueKind != JsonValueKind.Array) return endorsements;
            foreach (var key in keys.EnumerateArray())
            {
                if (key.ValueKind != JsonValueKind.Object
                    || !key.TryGetProperty("kid", out var kid) || kid.ValueKind != JsonValueKind.String
                    || !key.TryGetProperty("endorsements", out var list)) continue;
                endorsements[kid.GetString()!] = list.ValueKind == JsonValueKind.Array
                    ? [.. list.EnumerateArray().Where(e => e.ValueKind == JsonValueKind.String).Select(e => e.GetString()!)]
                    : [];
            }
            return endorsements;
        }
    }

    private sealed class EndorsedConfiguration(string json) : OpenIdConnectConfiguration(json)
    {
        public KeySet? Keys { get; set; }
    }

    /// <summary>The signing keys of one metadata load, with the endorsements of the keys that carry any.</summary>
    internal sealed record KeySet(IReadOnlyList<SecurityKey> Keys, IReadOnlyDictionary<string, string[]> Endorsements)
    {
        public static KeySet From(OpenIdConnectConfiguration config) =>
            config is EndorsedConfiguration { Keys: { } keys } ? keys : new([.. config.SigningKeys], new Dictionary<string, string[]>());

        public SecurityKey? Find(string kid) => Keys.FirstOrDefault(k => string.Equals(k.KeyId, kid, StringComparison.Ordinal));

        /// <summary>The channels the key is endorsed for, or null when the key carries no <c>endorsements</c>.</summary>
        public string[]? EndorsementsOf(string kid) => Endorsements.TryGetValue(kid, out var channels) ? channels : null;
    }
}
