using System.Buffers.Binary;
using System.IO.Compression;

namespace CoordBot.Tests.Teams;

/// <summary>
/// Paints manifests/teams/color.png and outline.png: three linked nodes (a coalition) in white on the
/// accent colour, and the same glyph in pure white on transparency for the outline. The committed files
/// are checked against this painter; run the tests with <c>COORDBOT_WRITE_TEAMS_ICONS=1</c> to rewrite them.
/// </summary>
internal static class TeamsIcons
{
    public const int ColorSize = 192;
    public const int OutlineSize = 32;

    private static readonly Rgba Accent = new(0x1F, 0x6F, 0x8B, 255); // manifest accentColor #1F6F8B
    private static readonly Rgba Amber = new(0xF2, 0xB1, 0x34, 255);
    private static readonly Rgba White = new(255, 255, 255, 255);
    // White with zero alpha, so even a checker that ignores alpha sees only white.
    private static readonly Rgba Clear = new(255, 255, 255, 0);

    // The glyph in unit coordinates: three nodes and the links between them.
    private static readonly (double X, double Y)[] Nodes = [(0.27, 0.30), (0.73, 0.30), (0.50, 0.71)];

    /// <summary>192×192, opaque: accent background, white links and nodes, the lower node amber with a white rim.</summary>
    public static Rgba[] Color()
    {
        const int samples = 4; // 4×4 supersampling for smooth edges
        var pixels = new Rgba[ColorSize * ColorSize];
        for (var y = 0; y < ColorSize; y++)
        for (var x = 0; x < ColorSize; x++)
        {
            int r = 0, g = 0, b = 0;
            for (var sy = 0; sy < samples; sy++)
            for (var sx = 0; sx < samples; sx++)
            {
                var u = (x + (sx + 0.5) / samples) / ColorSize;
                var v = (y + (sy + 0.5) / samples) / ColorSize;
                var c = ColorAt(u, v);
                r += c.R; g += c.G; b += c.B;
            }
            const int n = samples * samples;
            pixels[y * ColorSize + x] = new Rgba((byte)((r + n / 2) / n), (byte)((g + n / 2) / n), (byte)((b + n / 2) / n), 255);
        }
        return pixels;
    }

    /// <summary>32×32: each pixel opaque white where its centre is in the glyph, else fully transparent.</summary>
    public static Rgba[] Outline()
    {
        var pixels = new Rgba[OutlineSize * OutlineSize];
        for (var y = 0; y < OutlineSize; y++)
        for (var x = 0; x < OutlineSize; x++)
        {
            var u = (x + 0.5) / OutlineSize;
            var v = (y + 0.5) / OutlineSize;
            pixels[y * OutlineSize + x] = InGlyph(u, v, nodeRadius: 0.125, linkHalfWidth: 0.04) ? White : Clear;
        }
        return pixels;
    }

    /// <summary>Writes both icons into <paramref name="folder"/> with <see cref="Png.Encode"/>.</summary>
    public static void WriteTo(string folder)
    {
        File.WriteAllBytes(Path.Combine(folder, "color.png"), Png.Encode(ColorSize, ColorSize, Color()));
        File.WriteAllBytes(Path.Combine(folder, "outline.png"), Png.Encode(OutlineSize, OutlineSize, Outline()));
    }

    private static Rgba ColorAt(double u, double v)
    {
        var lower = Nodes[2];
        var d = Math.Sqrt((u - lower.X) * (u - lower.X) + (v - lower.Y) * (v - lower.Y));
        if (d < 0.09) return Amber;
        return InGlyph(u, v, nodeRadius: 0.12, linkHalfWidth: 0.028) ? White : Accent;
    }

    private static bool InGlyph(double u, double v, double nodeRadius, double linkHalfWidth)
    {
        foreach (var (x, y) in Nodes)
            if ((u - x) * (u - x) + (v - y) * (v - y) <= nodeRadius * nodeRadius) return true;
        for (var i = 0; i < Nodes.Length; i++)
            if (DistanceToSegment(u, v, Nodes[i], Nodes[(i + 1) % Nodes.Length]) <= linkHalfWidth) return true;
        return false;
    }

    private static double DistanceToSegment(double u, double v, (double X, double Y) a, (double X, double Y) b)
    {
        double dx = b.X - a.X, dy = b.Y - a.Y;
        var t = Math.Clamp(((u - a.X) * dx + (v - a.Y) * dy) / (dx * dx + dy * dy), 0, 1);
        double px = a.X + t * dx - u, py = a.Y + t * dy - v;
        return Math.Sqrt(px * px + py * py);
    }
}

/// <summary>One 8-bit RGBA pixel.</summary>
internal readonly record struct Rgba(byte R, byte G, byte B, byte A);

/// <summary>
/// A minimal PNG codec for the icons: 8-bit RGBA, no interlace, every row with filter type 0 (None), one
/// IDAT. <see cref="Decode"/> reads only what <see cref="Encode"/> writes, and checks every chunk's CRC.
/// </summary>
internal static class Png
{
    private static readonly byte[] Signature = [0x89, (byte)'P', (byte)'N', (byte)'G', 0x0D, 0x0A, 0x1A, 0x0A];

    public static byte[] Encode(int width, int height, Rgba[] pixels)
    {
        if (pixels.Length != width * height) throw new ArgumentException("pixel count is not width × height", nameof(pixels));
        var header = new byte[13];
        BinaryPrimitives.WriteInt32BigEndian(header, width);
        BinaryPrimitives.WriteInt32BigEndian(header.AsSpan(4), height);
        header[8] = 8;  // bit depth
        header[9] = 6;  // colour type: RGBA
        // compression 0 (deflate), filter method 0, interlace 0: already zero

        var raw = new byte[height * (1 + width * 4)];
        for (var y = 0; y < height; y++)
        {
            var row = y * (1 + width * 4);
            raw[row] = 0; // filter type None
            for (var x = 0; x < width; x++)
            {
                var p = pixels[y * width + x];
                var at = row + 1 + x * 4;
                (raw[at], raw[at + 1], raw[at + 2], raw[at + 3]) = (p.R, p.G, p.B, p.A);
            }
        }
        using var compressed = new MemoryStream();
        using (var zlib = new ZLibStream(compressed, CompressionLevel.SmallestSize, leaveOpen: true)) zlib.Write(raw);

        using var png = new MemoryStream();
        png.Write(Signature);
        WriteChunk(png, "IHDR"u8, header);
        WriteChunk(png, "IDAT"u8, compressed.ToArray());
        WriteChunk(png, "IEND"u8, []);
        return png.ToArray();
    }

    /// <summary>The width and height from the IHDR chunk, which must come first.</summary>
    public static (int Width, int Height) Size(byte[] png)
    {
        if (png.Length < 24 || !png.AsSpan(0, 8).SequenceEqual(Signature) || !png.AsSpan(12, 4).SequenceEqual("IHDR"u8))
            throw new InvalidDataException("not a PNG starting with IHDR");
        return (BinaryPrimitives.ReadInt32BigEndian(png.AsSpan(16)), BinaryPrimitives.ReadInt32BigEndian(png.AsSpan(20)));
    }

    public static (int Width, int Height, Rgba[] Pixels) Decode(byte[] png)
    {
        var (width, height) = Size(png);
        using var idat = new MemoryStream();
        var at = 8;
        var ended = false;
        while (!ended)
        {
            var length = BinaryPrimitives.ReadInt32BigEndian(png.AsSpan(at));
            var typeAndData = png.AsSpan(at + 4, 4 + length);
            var crc = BinaryPrimitives.ReadUInt32BigEndian(png.AsSpan(at + 8 + length));
            if (crc != Crc32.Compute(typeAndData)) throw new InvalidDataException($"bad CRC in chunk at {at}");
            var type = System.Text.Encoding.ASCII.GetString(typeAndData[..4]);
            var data = typeAndData[4..];
            switch (type)
            {
                case "IHDR" when data[8] != 8 || data[9] != 6 || data[12] != 0:
                    throw new InvalidDataException("only 8-bit RGBA without interlace is supported");
                case "IDAT": idat.Write(data); break;
                case "IEND": ended = true; break;
            }
            at += 12 + length;
        }

        idat.Position = 0;
        using var inflated = new MemoryStream();
        using (var zlib = new ZLibStream(idat, CompressionMode.Decompress)) zlib.CopyTo(inflated);
        var raw = inflated.ToArray();
        var stride = 1 + width * 4;
        if (raw.Length != height * stride) throw new InvalidDataException($"image data is {raw.Length} bytes, expected {height * stride}");

        var pixels = new Rgba[width * height];
        for (var y = 0; y < height; y++)
        {
            var row = y * stride;
            // Filter type 0 leaves the bytes as they are; other types would need the previous row.
            if (raw[row] != 0) throw new InvalidDataException($"row {y} uses filter type {raw[row]}, only 0 is supported");
            for (var x = 0; x < width; x++)
            {
                var p = row + 1 + x * 4;
                pixels[y * width + x] = new Rgba(raw[p], raw[p + 1], raw[p + 2], raw[p + 3]);
            }
        }
        return (width, height, pixels);
    }

    private static void WriteChunk(Stream png, ReadOnlySpan<byte> type, ReadOnlySpan<byte> data)
    {
        Span<byte> word = stackalloc byte[4];
        BinaryPrimitives.WriteInt32BigEndian(word, data.Length);
        png.Write(word);
        var typeAndData = new byte[4 + data.Length];
        type.CopyTo(typeAndData);
        data.CopyTo(typeAndData.AsSpan(4));
        png.Write(typeAndData);
        BinaryPrimitives.WriteUInt32BigEndian(word, Crc32.Compute(typeAndData));
        png.Write(word);
    }
}

/// <summary>CRC-32 as PNG (and zip) use it: reflected polynomial 0xEDB88320, initial and final XOR 0xFFFFFFFF.</summary>
internal static class Crc32
{
    private static readonly uint[] Table = BuildTable();

    public static uint Compute(ReadOnlySpan<byte> bytes)
    {
        var crc = 0xFFFFFFFFu;
        foreach (var b in bytes) crc = Table[(crc ^ b) & 0xFF] ^ (crc >> 8);
        return crc ^ 0xFFFFFFFFu;
    }

    private static uint[] BuildTable()
    {
        var table = new uint[256];
        for (var n = 0u; n < 256; n++)
        {
            var c = n;
            for (var k = 0; k < 8; k++) c = (c & 1) != 0 ? 0xEDB88320u ^ (c >> 1) : c >> 1;
            table[n] = c;
        }
        return table;
    }
}
