using System.Xml.Linq;
using CoordBot.Data;
using Dapper;
using Microsoft.AspNetCore.DataProtection.KeyManagement;
using Microsoft.AspNetCore.DataProtection.Repositories;
using Microsoft.Extensions.Options;

namespace CoordBot.Host;

/// <summary>
/// Data Protection's key ring in the shared database (PostgreSQL), so every instance behind the load
/// balancer can read the Slack tokens and chart-link key another instance encrypted. Keys are stored
/// as Data Protection hands them over: encrypted with the certificate in <c>DataProtection:CertificatePath</c>
/// when one is set (see <see cref="KeyRing"/>), otherwise as plain XML behind the database's access control.
/// </summary>
public sealed class DatabaseKeyRing(Database database) : IXmlRepository
{
    public IReadOnlyCollection<XElement> GetAllElements()
    {
        // Data Protection reads the ring synchronously, once and then on key rotation; SQL connections open synchronously enough.
        using var connection = database.OpenAsync().GetAwaiter().GetResult();
        return connection.Query<string>("SELECT xml FROM data_protection_keys ORDER BY name").Select(XElement.Parse).ToList();
    }

    public void StoreElement(XElement element, string friendlyName)
    {
        using var connection = database.OpenAsync().GetAwaiter().GetResult();
        connection.Execute("INSERT INTO data_protection_keys (name, xml) VALUES (@Name, @Xml) ON CONFLICT (name) DO NOTHING",
            new { Name = friendlyName, Xml = element.ToString(SaveOptions.DisableFormatting) });
    }

    /// <summary>Points Data Protection's key manager at the database.</summary>
    public static void Use(IServiceCollection services) =>
        services.AddSingleton<IConfigureOptions<KeyManagementOptions>>(sp =>
            new ConfigureOptions<KeyManagementOptions>(o => o.XmlRepository = new DatabaseKeyRing(sp.GetRequiredService<Database>())));
}
