using System.Reflection;
using Dapper;

namespace CoordBot.Data;

/// <summary>
/// Maps <c>snake_case</c> columns (<c>name_key</c>) to a row type's <c>PascalCase</c> properties or constructor
/// parameters (<c>NameKey</c>), for the one type it is registered for. Each store registers its own row types,
/// so Dapper's process-wide behaviour (its <c>MatchNamesWithUnderscores</c> switch) is left as it is for every
/// other type in the process.
/// </summary>
public sealed class SnakeCaseMap : SqlMapper.ITypeMap
{
    private readonly DefaultTypeMap _inner;

    private SnakeCaseMap(Type type) => _inner = new DefaultTypeMap(type);

    /// <summary>Maps <typeparamref name="T"/>'s columns by name with the underscores left out (idempotent).</summary>
    public static void Register<T>() => SqlMapper.SetTypeMap(typeof(T), new SnakeCaseMap(typeof(T)));

    /// <summary><c>name_key</c> → <c>namekey</c>, which Dapper then matches to <c>NameKey</c> ignoring case.</summary>
    private static string Plain(string column) => column.Replace("_", "", StringComparison.Ordinal);

    public ConstructorInfo? FindConstructor(string[] names, Type[] types) => _inner.FindConstructor(names.Select(Plain).ToArray(), types);

    public ConstructorInfo? FindExplicitConstructor() => _inner.FindExplicitConstructor();

    public SqlMapper.IMemberMap? GetConstructorParameter(ConstructorInfo constructor, string columnName) =>
        _inner.GetConstructorParameter(constructor, Plain(columnName));

    public SqlMapper.IMemberMap? GetMember(string columnName) => _inner.GetMember(Plain(columnName));
}
