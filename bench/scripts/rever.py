# Writes a copy of a bundle jar with another Bundle-Version: python3 rever.py in.jar out.jar 1.2.3
import sys, zipfile
src, dst, ver = sys.argv[1:4]
zin = zipfile.ZipFile(src)
zout = zipfile.ZipFile(dst, 'w', zipfile.ZIP_DEFLATED)
for item in zin.infolist():
    data = zin.read(item.filename)
    if item.filename == 'META-INF/MANIFEST.MF':
        lines = data.decode().split('\r\n')
        lines = ['Bundle-Version: ' + ver if l.startswith('Bundle-Version:') else l for l in lines]
        data = '\r\n'.join(lines).encode()
    zout.writestr(item, data)
zout.close()
