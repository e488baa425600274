// libqrencode (Debian's libqrencode-dev): draws the QR code of a two-factor enrolment.
#include <qrencode.h>
